BEGIN;

create table public.orders (id bigint primary key, total numeric not null);
create index orders_total_idx on public.orders (total);
insert into public.orders values (1, 10), (2, 20);

COMMIT;
