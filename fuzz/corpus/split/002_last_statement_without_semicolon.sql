create table public.todos (id bigint primary key, title text);

alter table public.todos add column done boolean not null default false
