macro_rules! m { ($($t:tt)*) => { $($t)* } }
m! { fn x() { let _ = ((((1)))); } }
fn y() { m!(|a, b| |c| a < b); }
