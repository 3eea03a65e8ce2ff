create function public.grade(score int) returns text
language sql
immutable
begin atomic
  select case
    when score >= 90 then 'A;'
    when score >= 80 then 'B'
    else 'C'
  end;
end;

create procedure public.noop()
language sql
begin atomic
  select 1;
  select case when true then 1 end;
end;

call public.noop();
select public.grade(95);
