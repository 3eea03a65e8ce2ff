-- Function bodies are not checked here, so they may use syntax that this server's
-- grammar (PostgreSQL 15) does not know yet, such as PG 17's JSON_TABLE and MERGE ... RETURNING.
set check_function_bodies = off;

create function public.pg17_json_table() returns setof int
language plpgsql
as $$
begin
  return query select a from json_table('[1,2]', '$[*]' columns (a int path '$'));
end;
$$;

create function public.pg17_merge_returning() returns setof text
language sql
as 'merge into public.t using public.s on t.id = s.id when matched then delete returning merge_action(); select 1';
