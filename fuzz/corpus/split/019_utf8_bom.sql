-- File saved with a byte order mark
create table public.bom (id int);
insert into public.bom values (1);
