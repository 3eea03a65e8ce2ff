		create table public.ws (id int);   	

insert into public.ws values (1)	;	
select 1   
