create table public.price$usd (amount$1 numeric, a$b$c int);
insert into public.price$usd values (1.5, 2);

prepare get_price (int) as select amount$1 from public.price$usd where a$b$c = $1;
execute get_price(2);
deallocate get_price;

select '$$' as not_a_dollar_quote, $$it's; one$$ as dollar, $a$ $b$ ; $a$ as tagged;
