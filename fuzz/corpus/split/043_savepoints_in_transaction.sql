begin;
create table public.sp (id int primary key);
savepoint before_insert;
insert into public.sp values (1);
release savepoint before_insert;
commit;
