// expect: ✗ it was still waiting after 3 s
async fn serve_orders(kitchen: Kitchen) {
    let (tx, mut rx) = mpsc::channel::<Order>(2);
    let orders = kitchen.orders();
    let waiter_tx = tx.clone();
    tokio::spawn(async move {
        for order in orders {
            waiter_tx.send(order).await.unwrap();
        }
    });
    while let Some(order) = rx.recv().await {
        kitchen.cook(order).await;
    }
    drop(tx);
}
