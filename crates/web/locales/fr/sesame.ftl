# Sésame, French (the default language). Texts that were literal in a
# template are HTML-ready; keep them byte-identical to the pages' wording.

## Layout (base.html)
langue = fr
evitement = Aller au contenu
produit = Connexion aux télé-services
pied-nav = Informations légales
pied-accessibilite-conforme = Accessibilité : conforme
pied-accessibilite-partiellement-conforme = Accessibilité : partiellement conforme
pied-accessibilite-non-conforme = Accessibilité : non conforme
pied-mentions = Mentions légales
pied-donnees = Données personnelles
pied-aide = Aide
pied-texte = Sésame — service d'authentification des télé-services de l'établissement.
pied-langue = Langue

## Profiles (the domain's labels)
profil-eleve = Élève
profil-parent = Parent
profil-personnel_education = Personnel de l'Éducation nationale
profil-personnel_collectivite = Personnel de collectivité territoriale
profil-invite = Invité

## Profile choice (profile.html)
profils-titre = Choix du profil
accroche = Vous souhaitez accéder à un service qui nécessite une authentification.
profils-legende = Vous souhaitez vous connecter avec le profil :
profils-memoriser = Mémoriser mon profil
valider = Valider

## Login (login.html)
erreur-prefixe = Erreur :
connexion-titre = Connexion ({ $profil })
connexion-profil-choisi = Profil choisi :
changer-profil = Changer de profil
connexion-consigne = Entrez votre identifiant et votre mot de passe.
identifiant = Identifiant
identifiant-oublie = identifiant oublié ?
mot-de-passe = Mot de passe
mot-de-passe-oublie = mot de passe oublié ?
se-connecter = Se connecter
connexion-amont = Ou connectez-vous avec
connexion-avec = Se connecter avec { $nom }
renvoi-question = Vous n'avez pas reçu le courriel, ou le lien ne fonctionne plus ?
renvoi-bouton = Renvoyer le courriel
premiere-visite = Première visite
premiere-parent = <strong>Vous êtes un Parent</strong><br>Vous avez reçu un ou plusieurs Code Activation Responsable (1 par enfant).
premiere-eleve = <strong>Vous êtes un Élève</strong><br>Vous avez reçu un Code Activation Élève.
premiere-creer = créez votre compte
premiere-autre = <strong>Profil { $profil }</strong><br>Votre compte vous est fourni par votre employeur ou par l'établissement qui vous accueille : vous n'avez pas de compte à créer ici. Pour toute question : { $aide }.
connexion-echec = Identifiant ou mot de passe incorrect.
connexion-attente = Votre compte est en attente de confirmation : ouvrez le lien du courriel reçu à sa création (pensez à regarder dans les indésirables).
profil-indisponible-titre = Profil non disponible
profil-indisponible-texte = La connexion avec ce profil n'est pas encore configurée pour cette académie.
trop-tentatives-connexion = Trop de tentatives de connexion depuis votre réseau. Veuillez réessayer dans quelques minutes.
retour = Retour

## Error summary (summary.html)
resume-une-erreur = Le formulaire contient une erreur
resume-erreurs = Le formulaire contient { $nombre } erreurs

## Expired forms
formulaire-expire-titre = Formulaire expiré
formulaire-expire-texte = Ce formulaire a expiré ou a déjà été envoyé. Veuillez recommencer.
recommencer = Recommencer

## Error pages (error.html)
erreur-retour-accueil = Retour à l'accueil
erreur-404-titre = Page introuvable
erreur-404-texte = La page demandée n'existe pas.
erreur-405-titre = Action non prévue
erreur-405-texte = Cette page ne s'utilise pas ainsi. Revenez à l'accueil et recommencez.
erreur-410-titre = Lien expiré
erreur-410-texte = Ce lien n'est plus valable. Recommencez la démarche depuis l'accueil.
erreur-413-titre = Envoi trop volumineux
erreur-413-texte = Les informations envoyées sont trop volumineuses. Revenez à la page précédente et recommencez.
erreur-400-titre = Formulaire illisible
erreur-400-texte = Le formulaire envoyé n'a pas pu être lu. Revenez à la page précédente et recommencez.
erreur-429-titre = Trop de tentatives
erreur-429-texte = Trop de demandes en peu de temps. Veuillez réessayer dans quelques minutes.
erreur-503-titre = Service momentanément indisponible
erreur-503-texte = Le service est momentanément indisponible. Veuillez réessayer dans quelques instants.
erreur-500-titre = Erreur
erreur-500-texte = Une erreur est survenue. Veuillez réessayer dans quelques instants.
erreur-autre-titre = Demande refusée
erreur-autre-texte = Cette demande ne peut pas aboutir. Revenez à l'accueil et recommencez.

# SMS
sms-erreur = Erreur
sms-titre = Création de votre compte responsable par SMS
sms-page-numero = Je n'ai pas reçu de courrier
sms-page-code = Saisie du code reçu par SMS
sms-page-enfant = Vérification de votre identité
sms-page-compte = Choix de l'identifiant et du mot de passe
sms-lien = Je n'ai pas reçu de courrier
sms-lien-aide = Vous n'avez pas reçu le courrier contenant vos codes d'activation ? Vous pouvez créer votre compte avec le numéro de téléphone portable que vous avez communiqué à l'établissement de votre enfant.
sms-retour-courrier = J'ai reçu un courrier avec mes codes d'activation
sms-numero-legende = Indiquez le numéro de téléphone portable que vous avez communiqué à l'établissement de votre enfant. Un code de confirmation va vous être envoyé par SMS.
sms-numero-champ = Numéro de téléphone portable *
sms-numero-aide = Le SMS n'est envoyé que si ce numéro est celui que l'établissement connaît. Si vous ne le recevez pas, vérifiez le numéro ou adressez-vous au secrétariat de l'établissement.
sms-numero-bouton = Recevoir un code par SMS
sms-code-legende = Saisissez le code à 6 chiffres reçu par SMS. Il est valable 10 minutes.
sms-code-champ = Code reçu par SMS *
sms-code-aide = Vous n'avez rien reçu au bout de quelques minutes ?
sms-code-nouveau = Demander un nouveau code
sms-code-bouton = Valider le code
sms-enfant-legende = Pour vérifier votre identité, indiquez le prénom et la date de naissance de l'un de vos enfants scolarisés.
sms-enfant-prenom = Prénom de l'enfant *
sms-enfant-naissance = Né(e) le (jj/mm/aaaa) *
sms-enfant-bouton = Continuer
sms-obligatoires = * Tous les champs marqués d'une étoile sont obligatoires.
sms-compte-legende = Choisissez l'identifiant et le mot de passe qui vous permettront par la suite de vous authentifier et d'accéder à ces services.
sms-compte-identifiant = Votre identifiant *
sms-compte-mot-de-passe = Votre mot de passe * ({ $regle })
sms-compte-confirmation = Confirmation du mot de passe *
sms-compte-courriel-legende = Saisissez et confirmez ci-dessous votre adresse mail.
sms-compte-courriel = Votre adresse e-mail *
sms-compte-courriel2 = Confirmation de votre adresse e-mail *
sms-compte-bouton = Créer mon compte
sms-trop-titre = Trop de demandes
sms-trop-texte = Trop de demandes de code pour ce numéro ou depuis votre réseau. Veuillez réessayer plus tard.
sms-retour = Retour
sms-cree-titre = Votre compte est créé
sms-cree-texte = Votre compte est activé : il donne accès aux informations de chacun de vos enfants. Vous pouvez maintenant vous connecter avec votre identifiant et votre mot de passe.
sms-cree-lien = Se connecter
