create table public.after (id int);

-- Rollback:
-- drop table public.after;
/* end */

