create table public."quoted;ident" ("col;1" int, "say ""hi""" text, "it's" text);
insert into public."quoted;ident" ("col;1", "say ""hi""", "it's") values (1, 'x', 'y');
create view public."v;1" as select "col;1" as "a;b" from public."quoted;ident";
