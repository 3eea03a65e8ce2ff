-- don't panic: an apostrophe in a line comment
create table public.apostrophes (id int);
/* it's a block comment with a "double quote and a $tag$ */
insert into public.apostrophes values (1);
-- "unbalanced double quote; and $$ in a comment
select count(*) from public.apostrophes;
