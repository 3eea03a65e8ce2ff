create type public.mood as enum ('sad', 'ok;fine', 'happy''s');
create domain public.email as text check (value ~* '^[^@;]+@[^@;]+$');
create type public.pair as (a int, b text);
alter type public.mood add value 'ecstatic' after 'happy''s';
