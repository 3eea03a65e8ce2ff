drop index concurrently if exists public.some_index_that_does_not_exist;
