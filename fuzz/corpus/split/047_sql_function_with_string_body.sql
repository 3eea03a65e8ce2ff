create table public.kv (k text primary key, v text);

create function public.kv_put(p_k text, p_v text) returns text
language sql
as 'insert into public.kv values (p_k, p_v) on conflict (k) do update set v = excluded.v;
    select v from public.kv where k = p_k';

select public.kv_put('a', 'b;c');
