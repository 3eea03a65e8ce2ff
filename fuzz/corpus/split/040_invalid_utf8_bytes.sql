-- Créé par l'équipe; encodage Latin-1
create table public.latin1 (id int, label text);
insert into public.latin1 values (1, 'café; crème');
/* truncated sequence â‚ and ğŸ˜ here */
select 1;
