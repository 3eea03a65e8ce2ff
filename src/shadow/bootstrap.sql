-- sbdeploy shadow database bootstrap, version 1.
-- What a Supabase project's database has before its first migration, so that migrations
-- written for Supabase run on an empty PostgreSQL the CI job owns (validate --shadow-db-url):
-- the roles anon, authenticated, service_role, authenticator and the platform's admin roles;
-- the schemas extensions, auth and storage; auth.users and auth.uid(), auth.role(),
-- auth.email(), auth.jwt(); storage.buckets, storage.objects and storage.foldername(),
-- storage.filename(), storage.extension(); the extensions uuid-ossp and pgcrypto in schema
-- extensions when the server has them; and the grants Supabase gives those roles.
-- Idempotent: everything that exists already (Supabase's own Postgres image has all of it) is
-- left as it is. Runs in one transaction; needs a role that may create roles (the image's
-- postgres user, or a local cluster's superuser).

do $sbdeploy$
declare
    r record;
begin
    for r in select * from (values
        ('anon', 'nologin noinherit'),
        ('authenticated', 'nologin noinherit'),
        ('service_role', 'nologin noinherit bypassrls'),
        ('authenticator', 'login noinherit'),
        ('supabase_admin', 'nologin'),
        ('supabase_auth_admin', 'nologin noinherit'),
        ('supabase_storage_admin', 'nologin noinherit'),
        ('dashboard_user', 'nologin')) as roles(name, options)
    loop
        if not exists (select from pg_roles where rolname = r.name) then
            begin
                execute format('create role %I %s', r.name, r.options);
            exception when duplicate_object or unique_violation then
                null;  -- another session of the same cluster created it meanwhile
            end;
        end if;
    end loop;
end
$sbdeploy$;

do $sbdeploy$
begin
    if not pg_has_role('authenticator', 'anon', 'member') then
        grant anon, authenticated, service_role to authenticator;
    end if;
end
$sbdeploy$;

create schema if not exists extensions;
create schema if not exists auth;
create schema if not exists storage;

do $sbdeploy$
declare
    e text;
begin
    foreach e in array array['uuid-ossp', 'pgcrypto'] loop
        if not exists (select from pg_extension where extname = e)
           and exists (select from pg_available_extensions where name = e) then
            execute format('create extension %I with schema extensions', e);
        end if;
    end loop;
end
$sbdeploy$;

create table if not exists auth.users (
    instance_id uuid,
    id uuid not null primary key,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    confirmation_token varchar(255),
    confirmation_sent_at timestamptz,
    recovery_token varchar(255),
    recovery_sent_at timestamptz,
    email_change_token_new varchar(255),
    email_change varchar(255),
    email_change_sent_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_super_admin boolean,
    created_at timestamptz,
    updated_at timestamptz,
    phone text unique default null,
    phone_confirmed_at timestamptz,
    phone_change text default '',
    phone_change_token varchar(255) default '',
    phone_change_sent_at timestamptz,
    confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
    email_change_token_current varchar(255) default '',
    email_change_confirm_status smallint default 0,
    banned_until timestamptz,
    reauthentication_token varchar(255) default '',
    reauthentication_sent_at timestamptz,
    is_sso_user boolean not null default false,
    deleted_at timestamptz,
    is_anonymous boolean not null default false
);

create table if not exists storage.buckets (
    id text not null primary key,
    name text not null,
    owner uuid,
    owner_id text,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    public boolean default false,
    avif_autodetection boolean default false,
    file_size_limit bigint,
    allowed_mime_types text[]
);

create table if not exists storage.objects (
    id uuid not null default gen_random_uuid() primary key,
    bucket_id text references storage.buckets (id),
    name text,
    owner uuid,
    owner_id text,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    last_accessed_at timestamptz default now(),
    metadata jsonb,
    path_tokens text[] generated always as (string_to_array(name, '/')) stored,
    version text,
    user_metadata jsonb
);


-- The helpers policies call, created only where the server has none (a Supabase image's own
-- definitions stay).
do $sbdeploy$
begin
    if to_regprocedure('auth.uid()') is null then
        create function auth.uid() returns uuid language sql stable as $fn$
            select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
        $fn$;
    end if;
    if to_regprocedure('auth.role()') is null then
        create function auth.role() returns text language sql stable as $fn$
            select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text
        $fn$;
    end if;
    if to_regprocedure('auth.email()') is null then
        create function auth.email() returns text language sql stable as $fn$
            select coalesce(nullif(current_setting('request.jwt.claim.email', true), ''),
                            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email'))::text
        $fn$;
    end if;
    if to_regprocedure('auth.jwt()') is null then
        create function auth.jwt() returns jsonb language sql stable as $fn$
            select coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                            nullif(current_setting('request.jwt.claims', true), ''))::jsonb
        $fn$;
    end if;
    if to_regprocedure('storage.foldername(text)') is null then
        create function storage.foldername(name text) returns text[] language sql immutable as $fn$
            select (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1]
        $fn$;
    end if;
    if to_regprocedure('storage.filename(text)') is null then
        create function storage.filename(name text) returns text language sql immutable as $fn$
            select (string_to_array(name, '/'))[array_length(string_to_array(name, '/'), 1)]
        $fn$;
    end if;
    if to_regprocedure('storage.extension(text)') is null then
        create function storage.extension(name text) returns text language sql immutable as $fn$
            select reverse(split_part(reverse(storage.filename(name)), '.', 1))
        $fn$;
    end if;
end
$sbdeploy$;

-- Grants as Supabase gives them. On a server where another role owns these objects (a
-- Supabase image, bootstrapped by postgres) a grant we may not give is left to that owner.
do $sbdeploy$
declare
    s text;
begin
    foreach s in array array[
        'alter table storage.buckets enable row level security',
        'alter table storage.objects enable row level security',
        'grant usage on schema public, extensions, auth, storage to anon, authenticated, service_role',
        'grant all on storage.buckets, storage.objects to anon, authenticated, service_role',
        'grant all on auth.users to service_role',
        'grant execute on all functions in schema auth, storage to anon, authenticated, service_role',
        'alter default privileges in schema public grant all on tables to anon, authenticated, service_role',
        'alter default privileges in schema public grant all on functions to anon, authenticated, service_role',
        'alter default privileges in schema public grant all on sequences to anon, authenticated, service_role']
    loop
        begin
            execute s;
        exception when insufficient_privilege then
            null;
        end;
    end loop;
end
$sbdeploy$;
