create table public.items (id int primary key, price numeric not null);

create function public.total_price() returns numeric
language sql
stable
begin atomic
  select coalesce(sum(price), 0) from public.items;
end;

create function public.add_item(p_id int, p_price numeric) returns void
language sql
BEGIN ATOMIC
  insert into public.items values (p_id, p_price);
  update public.items set price = price where id = p_id;
END;

select public.add_item(1, 9.99);
