create table public.queue (id serial primary key, payload text, done boolean default false);
insert into public.queue (payload) values ('a;'), ('b'), ('c');

with next_job as (
  select id from public.queue where not done order by id limit 1 for update skip locked
)
update public.queue q set done = true
from next_job
where q.id = next_job.id
returning q.id, q.payload;
