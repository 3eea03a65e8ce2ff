;
create table public.empties (id int);;
;  ;
insert into public.empties values (1);
;;;
select count(*) from public.empties;
;
