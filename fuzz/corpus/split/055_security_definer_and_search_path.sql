create schema private;
create table private.secrets (id int, value text);

create function public.secret_count() returns bigint
language sql
security definer
set search_path = ''
as $$ select count(*) from private.secrets $$;

revoke execute on function public.secret_count() from public;
alter function public.secret_count() owner to current_user;
