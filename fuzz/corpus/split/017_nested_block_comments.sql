/* outer comment;
   /* nested comment; with ; semicolons */
   still in the outer comment;
*/
create table public.nested (id int);

select 1 /* a /* b /* c; */ */ */ ;
/*/ this is not closed by the slash; */
select 2;
/**/ select 3;
