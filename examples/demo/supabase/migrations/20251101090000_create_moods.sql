-- Moods: one row per check-in.
create table public.moods (
  id uuid primary key default gen_random_uuid(),
  created_at timestamptz not null default now(),
  mood text not null check (mood in ('great', 'good', 'meh', 'bad')),
  note text
);

alter table public.moods enable row level security;

create policy "moods are readable by everyone" on public.moods
  for select using (true);
