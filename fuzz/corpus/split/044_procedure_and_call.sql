create table public.ledger (id serial primary key, amount numeric);

create procedure public.record(p_amount numeric)
language plpgsql
as $$
begin
  insert into public.ledger (amount) values (p_amount);
end;
$$;

call public.record(12.5);
