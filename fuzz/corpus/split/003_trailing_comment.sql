create table public.notes (id int primary key, body text);
insert into public.notes values (1, 'first');
-- TODO: add an index on body once we know the queries
