create function public.make_greeter() returns void
language plpgsql
as $outer$
begin
  execute $inner$
    create or replace function public.greet(n text) returns text
    language sql
    as $$ select 'hello, ' || n || ';' $$;
  $inner$;
end;
$outer$;

select public.make_greeter();
select public.greet('world');
