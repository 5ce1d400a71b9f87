async fn serve_orders(kitchen: Kitchen) {
    let (tx, mut rx) = mpsc::channel::<Order>(2);
    let orders = kitchen.orders();
    let waiter = tokio::spawn(async move {
        for order in orders {
            tx.send(order).await.unwrap();
        }
        // `tx` is dropped here: the channel closes once it is empty.
    });
    while let Some(order) = rx.recv().await {
        kitchen.cook(order).await;
    }
    waiter.await.unwrap();
}
