create table public.rectangles (
  w numeric not null check (w > 0),
  h numeric not null check (h > 0),
  area numeric generated always as (w * h) stored,
  label text check (label !~ ';') default 'no;semicolons'
);
insert into public.rectangles (w, h, label) values (2, 3, 'small');
