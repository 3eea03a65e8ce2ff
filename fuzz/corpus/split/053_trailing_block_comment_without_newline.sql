create table public.tail (id int);
select 1 /* end of file comment; no newline after it */