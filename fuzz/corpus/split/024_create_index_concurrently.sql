create table public.events (id bigint primary key, kind text, created_at timestamptz default now());
create index concurrently if not exists events_kind_idx on public.events (kind);
create unique index concurrently events_id_created_idx on public.events (id, created_at);
