// expect: ✗ the waiter ran 8 orders ahead
async fn serve_orders(kitchen: Kitchen) {
    let (tx, mut rx) = mpsc::channel::<Order>(8);
    let orders = kitchen.orders();
    let waiter = tokio::spawn(async move {
        for order in orders {
            tx.send(order).await.unwrap();
        }
    });
    while let Some(order) = rx.recv().await {
        kitchen.cook(order).await;
    }
    waiter.await.unwrap();
}
