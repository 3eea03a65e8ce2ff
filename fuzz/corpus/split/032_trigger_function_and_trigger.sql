create table public.posts (
  id bigint generated always as identity primary key,
  title text not null,
  updated_at timestamptz
);

create or replace function public.set_updated_at()
returns trigger
language plpgsql
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

create trigger posts_set_updated_at
  before insert or update on public.posts
  for each row execute function public.set_updated_at();

insert into public.posts (title) values ('hello; world');
