create table public.settings (id int primary key, data jsonb, tags text[]);
insert into public.settings values
  (1, '{"sql": "select 1; select 2", "quote": "it''s"}', '{"a;b", "c"}'),
  (2, '[";", "--", "/*", "$$"]', array['x;y', $$z'$$]);
