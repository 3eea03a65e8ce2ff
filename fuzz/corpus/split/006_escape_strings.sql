create table public.escapes (id int primary key, body text);
insert into public.escapes values (1, E'it\'s; still one string');
insert into public.escapes values (2, e'tab\there\\; backslash');
insert into public.escapes values (3, E'\\'), (4, E'\'\';\'');
insert into public.escapes values (5, E'\x41\u0042;');
