document.getElementById("retour-service")?.submit();
