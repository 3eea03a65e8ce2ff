-- Saved on Windows
create table public.crlf (
  id int primary key,
  note text
);

insert into public.crlf values (1, 'line one
line two; still the string');
-- a comment; ended by CRLF
select 1;

