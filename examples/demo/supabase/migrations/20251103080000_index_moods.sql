create index moods_created_at_idx on public.moods (created_at desc);
