create table public.paths (id int, path text);
insert into public.paths values (1, 'C:\Program Files\');
insert into public.paths values (2, '\'), (3, 'a\b;c');
select U&'d\0061t\+000061; ok' as unicode_escape;
