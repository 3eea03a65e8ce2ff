create table public.café (
  id int primary key,
  "naïve;col" text,
  名前 text,
  straße text default 'Größe; Maß'
);
insert into public.café (id, "naïve;col", 名前, straße) values (1, 'déjà vu; encore', '東京;大阪', default);
comment on column public.café.名前 is 'name in Japanese — 名前; emoji 😀';
