create schema if not exists storage;

create table if not exists storage.buckets (
  id text primary key,
  name text not null,
  public boolean default false
);

create table if not exists storage.objects (
  id uuid primary key,
  bucket_id text references storage.buckets (id),
  name text,
  metadata jsonb
);

alter table storage.objects enable row level security;

create policy "Public read for avatars; nothing else"
  on storage.objects for select
  using ( bucket_id = 'avatars' and (metadata ->> 'visibility') is distinct from 'private' );

insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true)
on conflict (id) do nothing;
