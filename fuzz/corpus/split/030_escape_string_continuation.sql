create table public.continued (id int, body text);
insert into public.continued values (1, E'first part; it\'s'
'second part \'; still the same string');
insert into public.continued values (2, 'plain'
  'continued; plain');
insert into public.continued values (3, E'a'
-- a comment between the parts; allowed after a newline
'\'b;');
