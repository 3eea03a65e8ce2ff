create table public.countries (code text primary key, name text not null, motto text);

insert into public.countries (code, name, motto) values
  ('fr', 'France', 'Liberté; égalité; fraternité'),
  ('ci', 'Côte d''Ivoire', 'Union, Discipline, Travail'),
  ('us', 'United States', 'In God We Trust'),
  ('xx', 'Semicolon Land', ';;;'),
  ('yy', 'Comment Land', '-- not a comment; /* nor this */'),
  ('zz', 'Dollar Land', '$$ not a dollar quote $$');

insert into public.countries values ('de', 'Germany', null), ('it', 'Italy', E'line one\nline two;');
