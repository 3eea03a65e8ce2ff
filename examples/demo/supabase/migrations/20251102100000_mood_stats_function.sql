create or replace function public.mood_counts()
returns table (mood text, total bigint)
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
    select m.mood, count(*)
    from public.moods m
    group by m.mood;
end;
$$;
