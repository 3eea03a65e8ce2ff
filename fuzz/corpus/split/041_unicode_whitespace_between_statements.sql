create table public.nbsp (id int); 
  insert into public.nbsp values (1);　
 select count(*) from public.nbsp; 
