create table public.feature_flags (
  key text primary key,
  enabled boolean not null default false,
  description text
);
alter table public.feature_flags enable row level security;

-- Seed-style rows; the semicolon inside the string is data, not a statement end.
insert into public.feature_flags (key, enabled, description) values
  ('new_onboarding', false, 'the new onboarding flow; behind a flag'),
  ('dark_mode', true, 'it''s on for everyone');
