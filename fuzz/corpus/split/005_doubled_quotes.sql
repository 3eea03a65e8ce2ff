create table public.quotes (id int primary key, body text);
insert into public.quotes values (1, 'it''s; not a separator');
insert into public.quotes values (2, ''''), (3, ''), (4, 'a''''b;c');
comment on table public.quotes is 'Customers'' quotes; one per row';
