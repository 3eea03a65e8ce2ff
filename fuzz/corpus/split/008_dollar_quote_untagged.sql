create function public.add_one(i int) returns int
language plpgsql
as $$
begin
  -- a comment inside; with a semicolon
  return i + 1;
end;
$$;

select public.add_one(41);
