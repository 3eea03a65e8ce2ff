create table public.counters (name text primary key, value bigint not null default 0);

create or replace function public.bump(counter_name text, step bigint default 1)
returns bigint
language plpgsql
security definer
set search_path = ''
as $function$
declare
  result bigint;
begin
  if step <= 0 then
    raise exception 'step must be positive; got %', step;
  end if;
  insert into public.counters (name, value) values (counter_name, step)
  on conflict (name) do update set value = public.counters.value + excluded.value
  returning value into result;
  return result;
exception
  when unique_violation then
    return null;
end;
$function$;

select public.bump('visits');
