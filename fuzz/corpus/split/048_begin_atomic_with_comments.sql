create function public.answer() returns int
language sql
begin atomic
  -- comment inside the body; before the only statement
  select 42;
  /* and a block comment; before END */
end;

create function public.empty_body() returns void
language sql
begin atomic
end;

select public.answer();
