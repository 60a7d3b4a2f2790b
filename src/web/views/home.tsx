/** Public landing page (signed-out view). */
export function HomePage(props: { productName: string }) {
  return (
    <>
      <h1>Welcome to {props.productName}</h1>
      <p class="lead">
        Your own corner of the internet: sign in with your organisation account to create DNS
        records under your own domain and get a free HTTPS certificate for it. No credit card, no
        personal details.
      </p>
      <div class="cards">
        <section class="card">
          <h2>DNS records</h2>
          <p>
            Point names like <span class="mono">www.you.example</span> at your projects: servers,
            mail, or text records.
          </p>
        </section>
        <section class="card">
          <h2>Certificate</h2>
          <p>
            One certificate covers your domain and every name under it, so all your projects can use
            HTTPS.
          </p>
        </section>
      </div>
    </>
  );
}
