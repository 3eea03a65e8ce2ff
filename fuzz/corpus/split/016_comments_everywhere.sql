-- header comment; with a semicolon
create table public.c1 ( -- trailing comment after paren;
  id int primary key, -- id; the key
  /* block; comment */ name text
); -- comment after statement; still here

select 1 /* inline; */ + 2; /* after */ select 3;
-- a comment between statements; it belongs to the next one
select 4 -- comment at the end of a line; not a separator
;
select '--not a comment' as a, '/* not a comment */' as b;
