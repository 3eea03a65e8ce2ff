create schema if not exists extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists citext;

create table public.users (
  id uuid primary key default extensions.uuid_generate_v4(),
  email citext unique not null,
  password_hash text not null default extensions.crypt('changeme;', extensions.gen_salt('bf', 4))
);
