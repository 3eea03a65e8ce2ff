create table public.same_line (id int); -- trailing comment; belongs to the next statement
insert into public.same_line values (1); /* block after; */ insert into public.same_line values (2);
select 1; -- the last comment
